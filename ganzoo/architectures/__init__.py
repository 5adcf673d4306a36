"""The built-in architecture plugins, each registered through the ``ganzoo`` entry-point group."""
