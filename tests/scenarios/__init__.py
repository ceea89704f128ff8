"""Tests of planner's scenarios stage."""
