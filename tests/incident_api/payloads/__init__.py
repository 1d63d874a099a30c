"""Each monitoring source's own documented example payloads, one module per source.

Every fixture says where it was taken from; changes made for the test (a key, a later time
for the resolution) are marked.
"""
