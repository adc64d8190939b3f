"""Links reversed once per page (ganapati/reversing.py) are the links reverse() gives."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from ganapati.reversing import pk_url


@pytest.mark.parametrize("name", ["session_detail", "client_session_detail", "document_download"])
def test_a_link_built_from_one_reversal_is_the_one_reverse_gives(name):
    link = pk_url(name)
    for pk in (1, 42, 98765, 10**12):
        assert link(pk) == reverse(name, args=[pk])


def test_links_follow_the_script_prefix_the_site_is_served_under():
    set_script_prefix("/ganapati/")
    try:
        assert pk_url("session_detail")(7) == reverse("session_detail", args=[7])
        assert pk_url("session_detail")(7).startswith("/ganapati/")
    finally:
        clear_script_prefix()
