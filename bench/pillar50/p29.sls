section_29:
  host: {{ grains['id'] }}
  index: 29
  items:
    - item-29-1
    - item-29-2
    - item-29-3
    - item-29-4
    - item-29-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_29: secret-29-value
