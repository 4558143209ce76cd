"""The built-in cases of diffstudy: one file per case, each a plain function marked ``@case``."""
