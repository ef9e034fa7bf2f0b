section_34:
  host: {{ grains['id'] }}
  index: 34
  items:
    - item-34-1
    - item-34-2
    - item-34-3
    - item-34-4
    - item-34-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_34: secret-34-value
