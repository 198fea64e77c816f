"""The exercises' stubs: the files a student copies (``python -m refsnn.exercises start NAME``)
and fills in between the markers. Each is read as text by the grader, never imported by it."""
