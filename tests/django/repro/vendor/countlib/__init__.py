"""A stand-in for a third-party package (installed, not part of the project): static analysis of the
project does not read it, so it cannot see that this function uses the ORM in the caller's thread."""


def count_rows(model):
    return model.objects.count()
