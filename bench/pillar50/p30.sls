section_30:
  host: {{ grains['id'] }}
  index: 30
  items:
    - item-30-1
    - item-30-2
    - item-30-3
    - item-30-4
    - item-30-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_30: secret-30-value
