"""Saved results presented: the plots, their arithmetic and the HTML report."""
