section_47:
  host: {{ grains['id'] }}
  index: 47
  items:
    - item-47-1
    - item-47-2
    - item-47-3
    - item-47-4
    - item-47-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_47: secret-47-value
