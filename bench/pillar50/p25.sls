section_25:
  host: {{ grains['id'] }}
  index: 25
  items:
    - item-25-1
    - item-25-2
    - item-25-3
    - item-25-4
    - item-25-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_25: secret-25-value
