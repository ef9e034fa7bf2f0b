section_6:
  host: {{ grains['id'] }}
  index: 6
  items:
    - item-6-1
    - item-6-2
    - item-6-3
    - item-6-4
    - item-6-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_6: secret-6-value
