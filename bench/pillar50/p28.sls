section_28:
  host: {{ grains['id'] }}
  index: 28
  items:
    - item-28-1
    - item-28-2
    - item-28-3
    - item-28-4
    - item-28-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_28: secret-28-value
