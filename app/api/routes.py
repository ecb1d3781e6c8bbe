"""The routes of every scoped resource, with their OpenAPI documentation.

FAB's own route docstrings document ids as strings, leave out 403 and 409 and describe error
bodies loosely; these say what the API really answers: each docstring its success answer, each
``@route`` its error answers (app/api/answers.py writes them into the document). Each route
only dispatches to the ``*_headless`` implementation of app/api/base.py.
"""

from __future__ import annotations

from flask_appbuilder.api import ModelRestApi, merge_response_func, rison
from flask_appbuilder.api.schemas import get_item_schema, get_list_schema
from flask_appbuilder.const import (
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)

from app.api.answers import DocumentedAnswers, route

# FAB's rison argument schema, with the bounds a database needs (no negative or huge pages).
LIST_ARGS_SCHEMA = {
    **get_list_schema,
    "properties": {
        **get_list_schema["properties"],
        "page": {"type": "integer", "minimum": 0, "maximum": 100000},
        "page_size": {"type": "integer", "minimum": 1, "maximum": 100},
    },
}


class DocumentedRoutes(DocumentedAnswers):
    """list / get / post / put / delete, placed before ModelRestApi in a resource's bases."""

    @route("GET", "/", permission="get", errors=(400,))
    @rison(LIST_ARGS_SCHEMA)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs):
        """List the records in the caller's scope
        ---
        get:
          description: >-
            FAB's list semantics: `q` takes rison (or JSON) with `filters`, `order_column`,
            `order_direction`, `page`, `page_size`, `columns` and `keys`. Only records in the
            caller's units (their own and every unit below) are listed.
          parameters:
          - in: query
            name: q
            description: >-
              Rison-encoded arguments (the shape of `scoped_list_args`), e.g.
              `(page:0,page_size:20,filters:!((col:name,opr:ct,value:'张')))`.
            schema:
              type: string
          responses:
            200:
              description: One page of records
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        type: integer
                        description: >-
                          How many records match, counted up to 10,000: when more match,
                          count is 10000 and count_capped is true.
                      count_capped:
                        type: boolean
                        description: >-
                          True when more than `count` records match (the count stopped at
                          its cap instead of scanning every row).
                      ids:
                        type: array
                        items:
                          type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/{{self.__class__.__name__}}.get_list'
                      list_columns:
                        type: array
                        items:
                          type: string
                      order_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                        additionalProperties:
                          type: string
                      description_columns:
                        type: object
                      list_title:
                        type: string
                    required: [count, count_capped, ids, result]
        """
        return self.get_list_headless(**kwargs)

    @route("GET", "/<int:pk>", permission="get", errors=(400, 404))
    @rison(get_item_schema)
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns, API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs):
        """One record in the caller's scope
        ---
        get:
          parameters:
          - in: query
            name: q
            description: >-
              Rison-encoded arguments (the shape of `get_item_schema`), e.g. `(columns:!(id,name))`.
            schema:
              type: string
          responses:
            200:
              description: The record
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      show_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                        additionalProperties:
                          type: string
                      description_columns:
                        type: object
                      show_title:
                        type: string
                    required: [id, result]
        """
        return self.get_headless(pk, **kwargs)

    @route("POST", "/", permission="post", errors=(400, 409, 422))
    def post(self):
        """Add a record inside the caller's scope
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
          responses:
            201:
              description: Record added
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
                    required: [id, result]
        """
        return self.post_headless()

    @route("PUT", "/<int:pk>", permission="put", errors=(400, 404, 409, 422))
    def put(self, pk):
        """Change a record in the caller's scope (it cannot be moved out of it)
        ---
        put:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Record changed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
                    required: [result]
        """
        return self.put_headless(pk)

    @route("DELETE", "/<int:pk>", permission="delete", errors=(404, 409))
    def delete(self, pk):
        """Delete a record in the caller's scope
        ---
        delete:
          responses:
            200:
              description: Record deleted
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
        """
        return self.delete_headless(pk)
