"""Releasing a model version safely: how two versions' results agree, and whether a
version's inputs or outputs drift. Plain computations over job records and their files;
the services decide when to run them."""
