"""Secure e-delivery (ССЕВ): the inbox adapters, the classification of messages and the robot."""
