section_45:
  host: {{ grains['id'] }}
  index: 45
  items:
    - item-45-1
    - item-45-2
    - item-45-3
    - item-45-4
    - item-45-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_45: secret-45-value
