"""The model: limit families (the registry), the `LinearProgram` built from a `Plan`, and solving
it (HiGHS through highspy; any other solver through PuLP). The solver stack lives here only.
"""
