# Its own module: DRF imports the pagination class while rest_framework.generics is still
# loading, so this file may import nothing that imports generics (views, drf-spectacular).
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
