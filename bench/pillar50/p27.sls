section_27:
  host: {{ grains['id'] }}
  index: 27
  items:
    - item-27-1
    - item-27-2
    - item-27-3
    - item-27-4
    - item-27-5
  {% if grains.get('roles') %}roles: {{ grains['roles'] | json }}{% endif %}
  password_27: secret-27-value
