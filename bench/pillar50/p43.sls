section_43:
  host: {{ grains['id'] }}
  index: 43
  items:
    - item-43-1
    - item-43-2
    - item-43-3
    - item-43-4
    - item-43-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_43: secret-43-value
