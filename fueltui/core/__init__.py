"""The core: the model, the rules, IP allocation and the releases. Imports no UI, no master."""
