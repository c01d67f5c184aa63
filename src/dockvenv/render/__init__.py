"""Turning findings and plans into text for people and machines."""
