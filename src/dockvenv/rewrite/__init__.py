"""Pure text-to-text transforms of project files."""
