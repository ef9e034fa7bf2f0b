section_18:
  host: {{ grains['id'] }}
  index: 18
  items:
    - item-18-1
    - item-18-2
    - item-18-3
    - item-18-4
    - item-18-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_18: secret-18-value
