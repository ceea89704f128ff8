"""Tests of the `plan` command as a user and a script meet it."""
