from django.urls import path
from shop import views

urlpatterns = [path("count/", views.count), path("books/", views.books)]
