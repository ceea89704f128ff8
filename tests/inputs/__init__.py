"""Tests of planner's inputs stage."""
