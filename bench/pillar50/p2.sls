section_2:
  host: {{ grains['id'] }}
  index: 2
  items:
    - item-2-1
    - item-2-2
    - item-2-3
    - item-2-4
    - item-2-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_2: secret-2-value
