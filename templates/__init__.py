"""loomgen's jinja2 templates: this folder is installed as the package ``loomgen.templates``.

A regular package (not a namespace one), so that an editable install finds
it under that name too and one way reads the templates everywhere (see
``loomgen/render/templates.py``).
"""
