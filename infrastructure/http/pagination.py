"""Pagination of every API list: `?page=N`, 50 rows a page unless the client asks for
`?page_size=N`, up to MAX_PAGE_SIZE (a larger ask gets MAX_PAGE_SIZE rows, not an error)."""

from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 500


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
