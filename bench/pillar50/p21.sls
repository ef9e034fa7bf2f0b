section_21:
  host: {{ grains['id'] }}
  index: 21
  items:
    - item-21-1
    - item-21-2
    - item-21-3
    - item-21-4
    - item-21-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_21: secret-21-value
