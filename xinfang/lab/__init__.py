"""Evaluation harnesses (repeat detection, hot issues, the category model, the reply check): commands that
measure the system on labeled data. Nothing imports lab; it sits above every other app."""
