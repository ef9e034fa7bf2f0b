section_19:
  host: {{ grains['id'] }}
  index: 19
  items:
    - item-19-1
    - item-19-2
    - item-19-3
    - item-19-4
    - item-19-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_19: secret-19-value
