"""booktools: listings in the book show the code without its docstrings."""

from cs231nbook.booktools import source_without_docstring


def _documented(a, b):
    """A docstring
    over two lines."""
    return a + b  # the body stays


class _Documented:
    """Class docstring."""

    def method(self):
        """Method docstring."""
        return 1


def test_function_docstring_removed_body_kept():
    text = source_without_docstring(_documented)
    assert "docstring" not in text and "over two lines" not in text
    assert text.splitlines() == ["def _documented(a, b):", "    return a + b  # the body stays"]


def test_class_and_method_docstrings_removed():
    text = source_without_docstring(_Documented)
    assert "docstring" not in text
    assert "def method(self):" in text and "return 1" in text


def test_function_without_docstring_unchanged():
    def plain(x):
        return x

    assert source_without_docstring(plain) == "def plain(x):\n    return x"
