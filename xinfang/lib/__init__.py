"""Plain helpers every app may use (the bottom layer): they import nothing from xinfang."""
