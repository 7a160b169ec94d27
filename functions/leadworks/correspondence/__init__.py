"""The company's archived mail with prospects: read from the archive, indexed by address, attached to leads."""
