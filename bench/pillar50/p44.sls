section_44:
  host: {{ grains['id'] }}
  index: 44
  items:
    - item-44-1
    - item-44-2
    - item-44-3
    - item-44-4
    - item-44-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_44: secret-44-value
