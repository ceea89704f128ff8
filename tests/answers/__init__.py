"""Tests of planner's answers stage."""
