"""The pages' own escape is `html.escape` (which they no longer import, issue 17)."""

from __future__ import annotations

import html

from hypothesis import given
from hypothesis import strategies as st

from cocoon.roles.common.pages import escape


@given(st.text(alphabet=st.sampled_from("a&<>\"'; #x27amp\u00e9\u2028\x00")))
def test_escape_is_html_escape(text):
    assert escape(text) == html.escape(text)


def test_escape_examples():
    assert escape("<a href=\"x\">'&amp;'</a>") == (
        "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;amp;&#x27;&lt;/a&gt;"
    )
