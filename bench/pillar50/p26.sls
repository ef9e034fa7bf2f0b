section_26:
  host: {{ grains['id'] }}
  index: 26
  items:
    - item-26-1
    - item-26-2
    - item-26-3
    - item-26-4
    - item-26-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_26: secret-26-value
