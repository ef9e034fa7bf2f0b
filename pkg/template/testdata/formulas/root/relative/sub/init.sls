{%- from "../map.jinja" import relative %}
{%- from "./helpers.jinja" import shout %}
relative:
  test.show_notification:
    - text: {{ shout(relative.greeting) }}
