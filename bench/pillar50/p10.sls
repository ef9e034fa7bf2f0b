section_10:
  host: {{ grains['id'] }}
  index: 10
  items:
    - item-10-1
    - item-10-2
    - item-10-3
    - item-10-4
    - item-10-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_10: secret-10-value
