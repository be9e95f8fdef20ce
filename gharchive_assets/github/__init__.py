"""GitHub's own figures beside the archive's: the star history of top repositories."""
