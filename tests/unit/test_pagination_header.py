"""The X-Pagination header is flask-smorest's, computed without a schema per request."""

from __future__ import annotations

import pytest
from flask_smorest.pagination import PaginationMixin

from service.api.base import Blueprint


@pytest.mark.parametrize("item_count", [0, 1, 99, 100, 101, 250])
@pytest.mark.parametrize("page_size", [1, 10, 100])
@pytest.mark.parametrize("page", [1, 2, 3, 26, 1000])
def test_the_header_is_flask_smorests(page: int, page_size: int, item_count: int) -> None:
    ours = Blueprint._make_pagination_metadata(page, page_size, item_count)
    theirs = PaginationMixin._make_pagination_metadata(page, page_size, item_count)
    assert ours == theirs
