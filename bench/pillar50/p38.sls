section_38:
  host: {{ grains['id'] }}
  index: 38
  items:
    - item-38-1
    - item-38-2
    - item-38-3
    - item-38-4
    - item-38-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_38: secret-38-value
