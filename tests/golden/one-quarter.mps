NAME        
OBJSENSE
  MAX
ROWS
 N  Obj     
 E  stock__lab.hall.alpha__2026Q1
 E  stock__lab.hall.beta__2026Q1
 L  hall__lab.hall__2026Q1
 E  load__lab__2026Q1
 L  power__lab.grid__2026Q1
 L  budget__2026__2026
 L  assign__alpha__2026Q1
 L  assign__beta__2026Q1
COLUMNS
    MARK0000  'MARKER'                 'INTORG'
    new_0_0_alpha_0  Obj       -1.5e-05
    new_0_0_alpha_0  stock__lab.hall.alpha__2026Q1  -1
    new_0_0_alpha_0  budget__2026__2026  3
    new_0_0_beta_0  Obj       -1e-05
    new_0_0_beta_0  stock__lab.hall.beta__2026Q1  -1
    new_0_0_beta_0  budget__2026__2026  2
    MARK0001  'MARKER'                 'INTEND'
    disp_0_0_0  Obj       -8.76e-05
    disp_0_0_0  load__lab__2026Q1  1
    disp_0_0_0  power__lab.grid__2026Q1  1
    disp_0_0_0  budget__2026__2026  0.876
    train_alpha_0  Obj       1.000001
    train_alpha_0  assign__alpha__2026Q1  1
    train_beta_0  Obj       0.5000005
    train_beta_0  assign__beta__2026Q1  1
    infer_alpha_0  Obj       1
    infer_alpha_0  assign__alpha__2026Q1  1
    infer_beta_0  Obj       0.5
    infer_beta_0  assign__beta__2026Q1  1
    inst_0_0_alpha_0  stock__lab.hall.alpha__2026Q1  1
    inst_0_0_alpha_0  hall__lab.hall__2026Q1  0.1
    inst_0_0_alpha_0  load__lab__2026Q1  -0.125
    inst_0_0_alpha_0  assign__alpha__2026Q1  -10
    inst_0_0_beta_0  stock__lab.hall.beta__2026Q1  1
    inst_0_0_beta_0  hall__lab.hall__2026Q1  0.01
    inst_0_0_beta_0  load__lab__2026Q1  -0.0125
    inst_0_0_beta_0  assign__beta__2026Q1  -8
RHS
    RHS_V     hall__lab.hall__2026Q1  100
    RHS_V     power__lab.grid__2026Q1  10
    RHS_V     budget__2026__2026  10000
BOUNDS
 LI BOUND     new_0_0_alpha_0  0
 LI BOUND     new_0_0_beta_0  0
ENDATA
