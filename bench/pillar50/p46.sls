section_46:
  host: {{ grains['id'] }}
  index: 46
  items:
    - item-46-1
    - item-46-2
    - item-46-3
    - item-46-4
    - item-46-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_46: secret-46-value
