section_41:
  host: {{ grains['id'] }}
  index: 41
  items:
    - item-41-1
    - item-41-2
    - item-41-3
    - item-41-4
    - item-41-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_41: secret-41-value
