"""moa-archive library: harvest → extract → sections → index → search / compare.

Data flows one way; each stage reads the previous stage's records from the store and
writes its own. cli.py and web/ are thin shells over these modules.
"""
