"""The customer list page's state: the URL says what the list shows (and a bad URL shows the whole list with a
message), sorting, saved views, selection and bulk actions through its handlers, and whatever a socket client
sends to them refused without effect."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest
from state_helpers import call_handler

from services.errors import ValidationFailed
from state.customer_list import list_url, params_from_query
from conftest import valid_id


def test_the_url_round_trips_the_list_parameters():
    params = {"q": "张", "filters": [{"field": "segment", "op": "eq", "value": "hnw"}], "sort": "aum", "dir": "desc",
              "page": 3}
    url = list_url(params, view_id=7)
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    assert params_from_query(query) == (params, 7)
    assert list_url({"q": "", "filters": [], "sort": None, "dir": "asc", "page": 1}) == "/customers"


@pytest.mark.parametrize("query", [
    {"sort": "name); DROP TABLE customer; --"}, {"dir": "up", "sort": "aum"}, {"page": "0"}, {"page": "١٢"},
    {"page": "99999999999"}, {"q": "x" * 101}, {"f": "not json"}, {"f": '{"field": "segment"}'},
    {"f": "[" * 50 + "]" * 50}, {"f": json.dumps([{"field": "segment", "op": "eq", "value": "x", "extra": 1}])},
    {"view": "abc"}, {"view": "-3"},
])
def test_a_bad_url_is_refused_before_anything_is_shown(query):
    with pytest.raises(ValidationFailed):
        params_from_query(query)


@pytest.fixture
def book(new_customer):
    return [new_customer(owner="rm_a1", name=f"吴{n}", id_number=valid_id(700 + n)) for n in range(3)]


@pytest.fixture
def lead_state(page_state, actors):
    from state.customer_list import CustomersState

    return page_state(CustomersState, actors["lead_a1"])


def _call(state, handler: str, *args):
    return call_handler(state, handler, *args)


def test_sorting_selection_and_a_bulk_reassign_through_the_handlers(lead_state, book, actors, connection):
    st = lead_state
    _call(st, "load")
    assert {r["name"] for r in st.rows} == {"吴0", "吴1", "吴2"} and st.rows[0]["selected"] == ""
    script = _call(st, "sort_by", "aum")
    assert (st.sort, st.direction, st.sort_choice) == ("aum", "desc", "aum:desc")
    assert "sort=aum" in str(script) and "pushState" in str(script)  # the URL follows the list
    _call(st, "sort_by", "aum")
    assert st.direction == "asc"
    _call(st, "choose_sort", "last_contact:asc")
    assert (st.sort, st.direction) == ("last_contact", "asc")

    # Ticking rows: only rows the page shows; anything else is ignored.
    for bad in ("1; drop", None, {"id": 1}, 10**12, str(book[0].id + 1000)):
        _call(st, "toggle_row", bad)
    assert st.selected_count == 0
    _call(st, "toggle_row", str(book[0].id))
    _call(st, "toggle_row", book[1].id)
    assert st.selected_count == 2 and "2" in st.selection_text
    _call(st, "open_bulk", "reassign")
    assert st.bulk_open == "reassign" and {o["value"] for o in st.bulk_options} == {
        str(actors["rm_a1"].id), str(actors["rm_a1b"].id)}  # the team's RMs
    _call(st, "open_bulk", "delete_everything")
    assert st.bulk_open == ""
    _call(st, "open_bulk", "reassign")
    # A choice the form did not offer is refused, whatever it is.
    for choice in (str(actors["rm_a2"].id), "0", 5, None):
        _call(st, "run_bulk", {"choice": choice})
        assert st.bulk_error and not st.bulk_running
    _call(st, "run_bulk", {"choice": str(actors["rm_a1b"].id)})
    assert st.bulk_error == "" and st.selected_count == 0 and "2" in st.bulk_message
    _call(st, "refresh")  # what the finished action asks the page to do next
    owners = {r["name"]: r["owner"] for r in st.rows}
    assert owners["吴0"] == owners["吴1"] == "RM_A1B" and owners["吴2"] == "RM_A1"


def test_select_all_matching_counts_what_the_list_matches(lead_state, book):
    st = lead_state
    _call(st, "load")
    _call(st, "select_all_matching")
    assert st.all_matching and st.matching_count == "3" and not st.too_many
    assert all(r["selected"] == "1" for r in st.rows)
    _call(st, "toggle_row", str(book[0].id))  # unticking one turns "all" into the page's ticked rows
    assert not st.all_matching and st.selected_count == 2
    _call(st, "clear_selection")
    assert st.selected_count == 0 and st.selection_text == ""


def test_saved_views_through_the_handlers(lead_state, book, connection):
    st = lead_state
    _call(st, "load")
    _call(st, "sort_by", "aum")
    _call(st, "toggle_view_form")
    assert st.view_form_open
    for bad in ("name", {"name": "x" * 200}, {"name": ["a"]}, {"name": ""}):
        _call(st, "save_view", bad)
        assert st.view_error
    _call(st, "save_view", {"name": "团队 AUM", "shared": "on"})
    assert st.view_error == "" and not st.view_form_open
    assert [v["label"] for v in st.views] == ["团队 AUM"] and st.current_view_mine
    view_id = st.views[0]["id"]
    assert st.current_view == view_id
    _call(st, "choose_view", "999999")  # not one of his views
    assert st.view_error
    redirect = _call(st, "choose_view", view_id)
    assert f"/customers?view={view_id}" in str(redirect)
    _call(st, "delete_view")
    assert st.views == [] and st.current_view == ""


def test_exporting_the_selection_downloads_a_file(lead_state, book):
    st = lead_state
    _call(st, "load")
    assert _call(st, "export_selected", "csv") is None and st.bulk_error  # nothing selected
    _call(st, "toggle_row", str(book[2].id))
    for bad in ("pdf", None, ["csv"]):
        st.bulk_error = ""
        _call(st, "export_selected", bad)
        assert st.bulk_error
    download = _call(st, "export_selected", "csv")
    assert "customers-" in str(download) and st.bulk_error == ""
