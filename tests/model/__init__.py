"""Tests of planner's model stage."""
