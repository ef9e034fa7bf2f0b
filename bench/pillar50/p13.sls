section_13:
  host: {{ grains['id'] }}
  index: 13
  items:
    - item-13-1
    - item-13-2
    - item-13-3
    - item-13-4
    - item-13-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_13: secret-13-value
